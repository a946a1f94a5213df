import os

raw = os.getcwdb()
