try:
    sync()
except OSError:
    retry()
