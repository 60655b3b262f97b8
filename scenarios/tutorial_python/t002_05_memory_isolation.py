# Tutorial 002 (进程理论要点), example 5 (进程之间内存隔离): x = 100 in the parent, the child sets it to 20.
# Code as written (its "# 结果为" output was already comments).
# 记住进程与进程之间数据是隔离的!!!
from multiprocessing import Process

x = 100
def task():
    global x
    x = 20
    print('子进程', x)


if __name__ == '__main__':
    p = Process(target=task)
    p.start()
    p.join()
    print('主进程', x)

# 结果为
# 子进程 20
# 主进程 100
