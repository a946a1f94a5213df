def greet(user):
    return "Welcome back, {}!".format(user)
