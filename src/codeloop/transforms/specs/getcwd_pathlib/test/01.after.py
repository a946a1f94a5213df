import os
from pathlib import Path

start = Path.cwd()
os.chdir("/tmp")
