try:
    run()
except OSError as error:
    log(error)
except ValueError:
    pass
