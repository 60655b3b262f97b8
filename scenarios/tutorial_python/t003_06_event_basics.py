# Tutorial 003 (day 32 管道,信号量,进程池), example 6 (事件 Event): set, is_set, clear, wait in one process.
# Code as written: it BLOCKS FOR EVER at e.wait(), since nothing sets e after e.clear().
from multiprocessing import Process,Event
e = Event() # 创建事件对象,这个对象初识状态为False
print('e的状态是:',e.is_set())
print('进程运行到这里')
e.set() #将e的状态更改为True
print('e的状态是:',e.is_set())
e.clear() #将e的状态更改为False
e.wait() #e这个事件对象如果值为False,就在我加wait的地方等待
print('进程过了wait')
