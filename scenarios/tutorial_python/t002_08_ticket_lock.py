# Tutorial 002 (进程理论要点), example 8 (互斥锁): 5 buyers search the file `info`, then buy under a Lock.
# Code as written; the tutorial made `info` by hand (the manifest's setup_files writes {"ticket": 3} into the cwd,
# as its sample output shows 3 tickets). Its "# 结果为" output lines are kept as comments.
from multiprocessing import Process, Lock
import json
import time
import random

def search(i):
    with open('info', 'r', encoding='utf-8') as f:
        data = json.load(f)
    print('用户查询余票数%s' % data.get('ticket'))

def buy(i):
    # 买票之前还得先查有没有票!
    with open('info', 'r', encoding='utf-8') as f:
        data = json.load(f)
    time.sleep(random.randint(1, 3)) # 模拟网络延迟
    if data.get('ticket') > 0:
        data['ticket'] -= 1       # 买票

        with open('info', 'w', encoding='utf-8') as f:
            json.dump(data, f)
        print('用户%s抢票成功' % i)
    else:
        print('用户%s查询余票为0' % i)

def run(i, mutex):
    search(i)
    mutex.acquire()    # 抢锁   一把锁不能同时被多个人使用,没有抢到的人,就一直等待锁释放
    buy(i)
    mutex.release()    # 释放锁

if __name__ == '__main__':
    mutex = Lock()       # 创建锁
    for i in range(5):
        p = Process(target=run, args=(i, mutex))
        p.start()

# 结果为
# 用户查询余票数3
# 用户查询余票数3
# 用户查询余票数3
# 用户查询余票数3
# 用户查询余票数3
# 用户1抢票成功
# 用户0抢票成功
# 用户2抢票成功
# 用户3查询余票为0
# 用户4查询余票为0
