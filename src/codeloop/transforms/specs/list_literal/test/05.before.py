names = [n for n in list(names)]
