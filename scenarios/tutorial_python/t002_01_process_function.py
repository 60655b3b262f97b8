# Tutorial 002 (进程理论要点), example 1 (创建进程的方式一): Process(target=task, args=('egon',)). Code as written.
from multiprocessing import Process
import time

def task(name):
    print('%s is running' % name)
    time.sleep(3)
    print('%s is over' % name)


# 注意,在windows系统中,创建进程会将代码以模块的方式从头到尾加载一遍
# 一定要写在if __name__ == '__main__':代码块里面
# 强调:函数名一旦加括号,执行优先级最高,立刻执行
if __name__ == '__main__':
    p1 = Process(target=task, args=('egon',))   # # 这一句话只是实例化了一个Process对象
    p1.start()     # 告诉操作系统创建一个进程,操作系统会申请内存空间,然后把父进程的数据拷贝给子进程,作为子进程的初始状态
    print('主进程')
