ok = result != None
