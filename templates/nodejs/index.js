// A minimal Node.js project: edit and run `node index.js`.
export function greet(name) {
  return `Hello, ${name}!`;
}

console.log(greet('codesphere'));
