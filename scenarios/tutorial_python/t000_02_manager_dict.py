# Tutorial 000 (多进程三), example 2: Manager().dict({"count": 100}) decremented by 100 processes under a Lock.
# Code as written.
from multiprocessing import Manager,Process,Lock

def work(d,lock):
    with lock:
        # temp=d['count']
        d['count']-=1

if __name__ == '__main__':
    n=Manager() # 实例化产生一个manager对象
    d=n.dict({"count":100})  # 对象产生一个字典(可以是任何数据)
    lock=Lock()
    p_l=[]
    for i in range(100): # 开启的进程数
        p=Process(target=work,args=(d,lock))
        p_l.append(p)
        p.start()
    for p in p_l:
        p.join() # 父进程必须等到子进程执行完成后才能执行下一步

    print(d)
