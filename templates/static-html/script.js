document.getElementById('clock').textContent = new Date().toString();
