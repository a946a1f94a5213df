def show(source):
    for row in source.getData():
        print(row)
