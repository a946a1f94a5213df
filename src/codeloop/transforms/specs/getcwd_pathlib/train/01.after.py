import os
from pathlib import Path

root = Path.cwd()
