# Tutorial 000 (多进程三), example 1: JoinableQueue producer/consumer (3 cooks, 2 daemon eaters, q.join()).
# Code as written; only the trailing "View Code" (a web-page button, not code) was dropped.
from multiprocessing import JoinableQueue,Process
import time,random

def producer(food,name,q):  # 生产者
    for i in range(2):
        time.sleep(random.randint(1,3))
        res='%s%s' %(food,i)
        q.put(res)
        print('厨师 %s 生产了 %s' %(name,res))
    q.join()

def consumer(name,q):  # 消费者
    while True:
        res=q.get()
        if res is None:break
        time.sleep(random.randint(1,3))
        print('%s 吃了 %s' %(name,res))
        q.task_done()  # 向q.join()发送一次信号,证明一个数据已经被取走了
if __name__ == '__main__':
    q=JoinableQueue()
    p1=Process(target=producer,args=('泔水','egon',q))
    p2=Process(target=producer,args=('骨头','aaa',q))
    p3=Process(target=producer,args=('包子','bbb',q))
    c1=Process(target=consumer,args=('alex',q))
    c2=Process(target=consumer,args=('haha',q))

    c1.daemon = True
    c2.daemon = True

    p_l=[p1,p2,p3,c1,c2]
    for p in p_l:
        p.start()

    p1.join()
    p2.join()
    p3.join()
    print('')
    #主进程等--->p1,p2,p3等---->c1,c2
    #p1,p2,p3结束了,证明c1,c2肯定全都收完了p1,p2,p3发到队列的数据
    #因而c1,c2也没有存在的价值了,应该随着主进程的结束而结束,所以设置成守护进程
