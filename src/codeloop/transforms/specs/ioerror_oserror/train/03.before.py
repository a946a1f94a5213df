try:
    run()
except IOError as error:
    log(error)
except ValueError:
    pass
