import os

root = os.getcwd()
