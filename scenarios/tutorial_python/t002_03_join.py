# Tutorial 002 (进程理论要点), example 3 (join方法): 3 children sleeping 0, 1, 2 s, joined: about 2 s in total.
# Fixed a lost line break ("time.sleep(n)if __name__ ..."); the "# 结果为" output lines that followed the code are
# kept as comments.
from multiprocessing import Process
import time

def task(name, n):
    print('%s is running' % name)
    time.sleep(n)

if __name__ == '__main__':
    start_time = time.time()
    p_list = []
    for i in range(3):
        p = Process(target=task, args=('子进程%s' % i, i))
        p.start()
        p_list.append(p)
    for i in p_list:
        i.join()
    print('主进程', time.time()-start_time)

# 结果为
# 子进程0 is running
# 子进程1 is running
# 子进程2 is running
# 主进程 2.624150037765503
