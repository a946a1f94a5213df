import json
import sys

if not ok:
    sys.exit("failed")
