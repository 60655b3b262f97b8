# Tutorial 002 (进程理论要点), example 6 (守护进程): a daemon child ends when the main process ends.
# Code as written; the output line that followed it ("解果为 主进程正在结束") is kept as a comment.
from multiprocessing import Process
import time

def task(name):
    print('%s正活着' % name)
    time.sleep(3)
if __name__ == '__main__':
    p = Process(target=task, args=('egon总管',))
    p.daemon = True
    p.start()
    print('主进程正在结束')
# 解果为
# 主进程正在结束
