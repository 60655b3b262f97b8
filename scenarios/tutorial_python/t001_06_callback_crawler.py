# Tutorial 001 (进程池), example 6 (8.1): Pool(3) crawler, get_page in the workers, pasrse_page callback in main.
# Indentation and line numbers fixed. Changed for offline runs: `requests` is not installed in Debian's python3.11,
# so it comes from standin_server (urllib.request); the sites are stand-in pages on a local HTTP server
# (127.0.0.1, ephemeral port), so the URLs are http://127.0.0.1:PORT/<site>. The tutorial's sample output is kept.
from multiprocessing import Pool
import sys; sys.dont_write_bytecode = True  # added: importing standin_server leaves no __pycache__
from standin_server import requests, http_urls  # was: import requests
import json
import os

def get_page(url):
    print('<进程%s> get %s' %(os.getpid(),url))
    respone=requests.get(url)
    if respone.status_code == 200:
        return {'url':url,'text':respone.text}

def pasrse_page(res):
    print('<进程%s> parse %s' %(os.getpid(),res['url']))
    parse_res='url:<%s> size:[%s]\n' %(res['url'],len(res['text']))
    with open('db.txt','a') as f:
        f.write(parse_res)


if __name__ == '__main__':
    urls=http_urls([  # was: the real sites
        'www.baidu.com',
        'www.python.org',
        'www.openstack.org',
        'help.github.com/',
        'www.sina.com.cn/'
    ])

    p=Pool(3)
    res_l=[]
    for url in urls:
        res=p.apply_async(get_page,args=(url,),callback=pasrse_page)
        res_l.append(res)

    p.close()
    p.join()
    print([res.get() for res in res_l]) #拿到的是get_page的结果,其实完全没必要拿该结果,该结果已经传给回调函数处理了

'''
打印结果:
<进程3388> get https://www.baidu.com
<进程3389> get https://www.python.org
<进程3390> get https://www.openstack.org
<进程3388> get https://help.github.com/
<进程3387> parse https://www.baidu.com
<进程3389> get http://www.sina.com.cn/
<进程3387> parse https://www.python.org
<进程3387> parse https://help.github.com/
<进程3387> parse http://www.sina.com.cn/
<进程3387> parse https://www.openstack.org
[{'url': 'https://www.baidu.com', 'text': '<!DOCTYPE html>\r\n...',...}]
'''
