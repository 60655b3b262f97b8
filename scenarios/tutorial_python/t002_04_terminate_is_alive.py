# Tutorial 002 (进程理论要点), example 4 (进程对象其他方法): start, terminate at once, is_alive() after 0.1 s.
# Code as written.
from multiprocessing import Process, current_process
import time
import os

def task():
    print('%s is running' % os.getpid())
    time.sleep(3)
    print('%s is over' % os.getppid())

if __name__ == '__main__':
    p1 = Process(target=task)
    p1.start()
    p1.terminate()  # 杀死子进程
    time.sleep(0.1)
    print(p1.is_alive())  # 判断子进程是否存活
    print('')
