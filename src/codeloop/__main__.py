from codeloop.cli import console

console()
