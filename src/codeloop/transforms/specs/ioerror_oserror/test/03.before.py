try:
    sync()
except IOError:
    retry()
