"""Forkscope's Python front end: runs a multiprocessing program in real processes on Forkscope's timeline.

The viewer (forkscope, forkscope-cli) starts Debian's python3.11 with this package on sys.path and calls
forkscope._boot.main(); nothing here is imported by the program itself.
"""
