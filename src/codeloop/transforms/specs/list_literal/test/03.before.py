result = process(list(), flag=True)
