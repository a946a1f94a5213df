d = collections.OrderedDict()
