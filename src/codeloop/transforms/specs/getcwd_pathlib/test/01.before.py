import os

start = os.getcwd()
os.chdir("/tmp")
