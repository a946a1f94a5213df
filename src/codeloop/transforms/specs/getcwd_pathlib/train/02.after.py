import os
import sys
from pathlib import Path


def here():
    return Path.cwd()
