#!/usr/bin/python
# --*-- coding:utf-8 --*--
# Tutorial 004 (multiprocessing模块), example 3: Pool(processes=25), 100 apply_async tasks of 2 s, close (no join),
# then res.get(timeout=5) on each. Code as written (no `if __name__ == '__main__':`, fine with fork on Linux).
import multiprocessing
import sys,os,time
result = []#把运行的进程池放入,空的列表
def run(msg):#定义正在处理进程编号数的函数功能
    #打印正在处理的进程编号数与对应的系统进程号
    print ('threading number:%s %s' %(msg,os.getpid()))
    time.sleep(2)
p = multiprocessing.Pool(processes = 25)#绑定事例,同时执行25个线程

for i in range(100):
    result.append(p.apply_async(run,('%s' %i,)))#异步传输正在运行的进程数字号码

p.close()#关闭正在运行的25个进程
#p.join()

for res in result:#获取运行结果
    res.get(timeout=5)
