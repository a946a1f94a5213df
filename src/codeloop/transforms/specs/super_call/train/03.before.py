class B(A):
    def run(self, x):
        y = super(B, self).run(x)
        return y + 1
