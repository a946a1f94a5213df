import os
from pathlib import Path

print("cwd:", Path.cwd())
