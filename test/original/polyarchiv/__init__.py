# -*- coding: utf-8 -*-
from __future__ import unicode_literals

__author__ = "Matthieu Gallet"
__version__ = "0.14.3"
