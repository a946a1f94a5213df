class E(C):
    def f(self):
        return super(C, self).f()
