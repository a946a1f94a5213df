import os
import json

config = {"dir": os.getcwd()}
