import os

if os.environ.get("STOP"):
    exit(3)
