class D(C):
    def f(self):
        return super().f()
