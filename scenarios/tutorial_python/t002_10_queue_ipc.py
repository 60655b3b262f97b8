# Tutorial 002 (进程理论要点), example 10 (基于队列实现进程间通信): a producer puts '你好', a consumer prints it.
# Code as written.
from multiprocessing import Queue, Process

def producer(q):
    q.put('你好')

def consumer(q):
    print(q.get())

if __name__ == '__main__':
    q = Queue()  # 生成一个队列对象
    p1 = Process(target=producer, args=(q,))
    c1 = Process(target=consumer, args=(q,))
    p1.start()
    c1.start()
# 结果为 你好
