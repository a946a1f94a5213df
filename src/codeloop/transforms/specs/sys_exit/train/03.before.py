import json

if not ok:
    exit("failed")
