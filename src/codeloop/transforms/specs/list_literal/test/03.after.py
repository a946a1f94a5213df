result = process([], flag=True)
