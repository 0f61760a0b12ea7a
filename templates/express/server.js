// A minimal Express server. The preview proxy forwards to $PORT.
const express = require('express');

const app = express();
const port = Number(process.env.PORT || 3000);

app.get('/', (req, res) => res.send('Hello from Express on codesphere!'));
app.get('/health', (req, res) => res.json({ ok: true }));

app.listen(port, '0.0.0.0', () => console.log(`listening on ${port}`));
