import os
import sys

if os.environ.get("STOP"):
    sys.exit(3)
