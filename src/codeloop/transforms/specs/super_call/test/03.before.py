class C(B):
    def setup(self):
        super(C, self).setup()
        super(C, self).configure(debug=True)
