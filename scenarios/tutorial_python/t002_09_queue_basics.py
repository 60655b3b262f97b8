# Tutorial 002 (进程理论要点), example 9 (队列): Queue(5) put/full/get/empty. Code as written: it BLOCKS FOR EVER at
# q.put(6) (the queue is full), exactly as its comment says, so the second half is never reached.
from multiprocessing import Queue
q = Queue(5)   # 产生一个最多能够存放五个数据的队列
q.put(1)
q.put(2)
q.put(3)
print(q.full())  # False
q.put(4)
q.put(5)         # 只能放进去五个
print(q.full())  # True  # 判断队列是否放满
q.put(6)         # 再放一个放不进去了,程序不会报错会阻塞


# 存储数据
for i in range(5):
    q.put(i)            # for循环往队列里面存放数据
print(q.get())    # 0   # 取数据,get一次就取一个
print(q.get())    # 1
print(q.get())    # 2
print(q.empty())  # False
print(q.get())    # 3
print(q.get())    # 4
print(q.empty())  # True  # 判断队列数据是否为空,需要注意的是,在并发的情况下,这个方法判断不准确!
print(q.get())    # 取完了,队列为空,get会在原地等待队列中有数据过来
