def greet(user):
    return f"Welcome back, {user}!"
