import os
import json
from pathlib import Path

config = {"dir": Path.cwd()}
