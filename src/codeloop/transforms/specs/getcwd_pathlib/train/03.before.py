import os

print("cwd:", os.getcwd())
