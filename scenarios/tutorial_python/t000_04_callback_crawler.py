# Tutorial 000 (多进程三), example 4: crawler, apply_async(get, callback=parse); parse (main process) appends to db.txt.
# Changed for offline runs: `requests` is not installed in Debian's python3.11, so it comes from standin_server
# (urllib.request); the five sites are stand-in pages on a local HTTP server (127.0.0.1, ephemeral port), so
# the URLs printed and written to db.txt are http://127.0.0.1:PORT/<site>.
from multiprocessing import Pool,Process
import os,time,random
import sys; sys.dont_write_bytecode = True  # added: importing standin_server leaves no __pycache__
from standin_server import requests, http_urls  # was: import requests

def get(url):
    print('%s GET %s'%(os.getpid(),url))
    response=requests.get(url)
    time.sleep(random.randint(1,3))
    if response.status_code==200:
        return {'url':url,'text':response.text}

def parse(dic):
    print('%s PARSE %s'%(os.getpid(),dic['url']))
    time.sleep(1)
    res='%s:%s\n' %(dic['url'],len(dic['text']))
    with open('db.txt','a') as f:
        f.write(res)

if __name__ == '__main__':
    urls=http_urls([  # was: the real sites
        'www.baidu.com',
        'www.python.org',
        'www.openstack.org',
        'help.github.com/',
        'www.sina.com.cn/'
    ])
    p=Pool()
    start_time=time.time()
    objs=[]
    for url in urls:
        obj=p.apply_async(get,args=(url,),callback=parse) #主进程负责干回调函数的活
        objs.append(obj)
    p.close()
    p.join()
    print('',(time.time()-start_time))
