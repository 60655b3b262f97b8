# Tutorial 002 (进程理论要点), example 11 (生产者消费者模型): 2 producers x 5 items, 2 daemon consumers, q.join().
# The web paste had flattened the whole main block onto one comment line; its line breaks are restored (one
# statement per line, each comment after the statement it follows). Code otherwise as written.
from multiprocessing import Process, JoinableQueue
import time

def producer(name, food, q):
    for i in range(5):
        data = '%s生产了%s %s' % (name, food, i)
        time.sleep(2)
        print(data)
        q.put(data)        # 将生产的数据放入队列中

def consumer(name, q):
    while True:
        data = q.get()
        if data is None: break
        time.sleep(2)
        print('%s吃了%s' %(name, data))
        q.task_done()      # 告诉你的队列,你已经将数据取出并且处理完毕

if __name__ == '__main__':

    # JoinableQueue: 可join的队列,该队列相比普通的Queue的区别在于该队列额外增加了join函数
    q = JoinableQueue()  # 生成一个队列对象
    p1 = Process(target=producer, args=('egon', '包子', q))
    p2 = Process(target=producer, args=('tank', '油条', q))
    c1 = Process(target=consumer, args=('jerry', q))
    c2 = Process(target=consumer, args=('tom', q))
    p1.start()
    p2.start()
    c1.daemon = True  # c.daemon = True: 主进程运行完不会检查子进程的状态(是否执行完),直接结束进程;
    c2.daemon = True  # 子进程跟随主进程结束而结束
    c1.start()
    c2.start()
    # 等待生产者生产完所有的数据
    p1.join()
    p2.join()
    # 在生产者生产完数据之后,往队列里面放一个提示性的消息,告诉消费者已经没有数据,你走吧,不要等了
    q.join()  # q.join()等待所有数据全部处理完毕
    print('')
