import os
from pathlib import Path


def log(msg):
    print(Path.cwd(), msg)
