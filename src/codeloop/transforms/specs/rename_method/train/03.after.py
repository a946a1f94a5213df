def show(source):
    for row in source.get_data():
        print(row)
