class View(Parent):
    def get(self, request):
        return super(View, self).get(request)
