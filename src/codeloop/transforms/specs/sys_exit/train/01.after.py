import sys

if error:
    sys.exit(1)
